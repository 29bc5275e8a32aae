//! Whether a setting keeps the model usable: its figure against the digital model's and against
//! chance (a perplexity against uniform guessing over the vocabulary, a paraphrase ranking
//! against picking at random), in one word and one line.

use lightloop_base::words::{count, figure, percent};
use serde::Serialize;

/// Whether a setting keeps the model usable, from worst to best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Works {
    /// No better than chance, or at least half of the way from the digital model to chance
    /// (in nats per token for a perplexity).
    No,
    /// Beyond the tolerance, but nearer the digital model than chance.
    Degraded,
    /// Within the tolerance of the digital model.
    Yes,
}

impl Works {
    /// The word for tables and CSV files: yes, degraded, no.
    pub fn word(self) -> &'static str {
        match self {
            Works::Yes => "yes",
            Works::Degraded => "degraded",
            Works::No => "no",
        }
    }
}

/// A verdict: the word, and the line that says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub works: Works,
    /// The figure against the references ("perplexity 35,455, 1,773 times the digital
    /// model's 20.0 and …").
    pub figure: String,
    /// The figure and the conclusion ("…: this mapping does not work").
    pub line: String,
}

/// What is judged and against what, in words: `subject` is what works or not ("this mapping"),
/// `reference` whose figure it is held to ("the digital model").
#[derive(Debug, Clone, Copy)]
pub struct Terms<'a> {
    pub subject: &'a str,
    pub reference: &'a str,
    /// The largest relative loss that still works (0.1: a perplexity within 10 % of the
    /// reference's, a ranking accuracy at least 90 % of it).
    pub tolerance: f64,
}

impl Terms<'_> {
    fn conclusion(&self, works: Works) -> String {
        match works {
            Works::Yes => format!("{} works", self.subject),
            Works::Degraded => format!(
                "{} degrades the model beyond the {} tolerance",
                self.subject,
                percent(self.tolerance)
            ),
            Works::No => format!("{} does not work", self.subject),
        }
    }
}

/// A share as a percentage, rid of the last bits of rounding (1 − 0.9 is 10 %, not 9.99… %).
fn share(x: f64) -> String {
    percent((x * 1e12).round() / 1e12)
}

/// A perplexity in words: to a tenth below 1000 (the differences that matter there are small),
/// in three figures above it, "infinite" when it is.
pub fn perplexity_figure(p: f64) -> String {
    if p.is_infinite() {
        "infinite".to_string()
    } else if p.abs() < 1000.0 {
        format!("{p:.1}")
    } else {
        figure(p)
    }
}

/// A perplexity `p` against the reference's `digital` and against uniform guessing over a
/// vocabulary of `vocabulary` tokens (whose perplexity is the vocabulary's size). Worse than
/// uniform guessing (or not a number) does not work; within the tolerance of the reference
/// works; in between, the share of the way from the reference to uniform guessing in nats per
/// token, ln(p / digital) / ln(vocabulary / digital), decides: below one half degraded, else
/// does not work.
pub fn perplexity(p: f64, digital: f64, vocabulary: usize, terms: &Terms) -> Verdict {
    let v = vocabulary as f64;
    let uniform = format!(
        "guessing uniformly over the {}-token vocabulary",
        count(vocabulary as u64)
    );
    let shown = perplexity_figure;
    let (works, figure_line) = if p.is_nan() {
        (Works::No, "perplexity not a number".to_string())
    } else if p > v {
        (
            Works::No,
            format!("perplexity {}, worse than {uniform}", shown(p)),
        )
    } else if p <= digital * (1.0 + terms.tolerance) {
        let side = if p >= digital {
            format!("within {} of", share(p / digital - 1.0))
        } else {
            format!("{} below", share(1.0 - p / digital))
        };
        (
            Works::Yes,
            format!(
                "perplexity {}, {side} {}'s {}",
                shown(p),
                terms.reference,
                shown(digital)
            ),
        )
    } else {
        // Here digital < p ≤ vocabulary, so the way to uniform guessing has a length.
        let lost = (p / digital).ln() / (v / digital).ln();
        (
            if lost < 0.5 {
                Works::Degraded
            } else {
                Works::No
            },
            format!(
                "perplexity {}, {} times {}'s {} and {} of the way from it to {uniform}",
                shown(p),
                figure(p / digital),
                terms.reference,
                shown(digital),
                share(lost)
            ),
        )
    };
    Verdict {
        works,
        line: format!("{figure_line}: {}", terms.conclusion(works)),
        figure: figure_line,
    }
}

/// A paraphrase-ranking accuracy `accuracy` against the reference's `digital` and against
/// picking at random among `others` sentences (accuracy 1 / others). No better than random (or
/// not a number) does not work; at least (1 − tolerance) of the reference's works; in between,
/// the share of the way from the reference to random decides: below one half degraded, else
/// does not work.
pub fn ranking(accuracy: f64, digital: f64, others: usize, terms: &Terms) -> Verdict {
    let chance = 1.0 / others as f64;
    let random = format!(
        "picking at random among the other {} sentences ({})",
        others,
        percent(chance)
    );
    let (works, figure_line) = if accuracy.is_nan() {
        (Works::No, "paraphrase ranking not a number".to_string())
    } else if accuracy <= chance {
        (
            Works::No,
            format!(
                "ranks {} of the paraphrases first, no better than {random}",
                percent(accuracy)
            ),
        )
    } else if accuracy >= digital * (1.0 - terms.tolerance) {
        let side = if accuracy >= digital {
            "as many as or more than".to_string()
        } else {
            format!("within {} of", share(1.0 - accuracy / digital))
        };
        (
            Works::Yes,
            format!(
                "ranks {} of the paraphrases first, {side} {} ({})",
                percent(accuracy),
                terms.reference,
                percent(digital)
            ),
        )
    } else {
        // Here chance < accuracy < digital.
        let lost = (digital - accuracy) / (digital - chance);
        (
            if lost < 0.5 {
                Works::Degraded
            } else {
                Works::No
            },
            format!(
                "ranks {} of the paraphrases first against {}'s {}, {} of the way from it to {random}",
                percent(accuracy),
                terms.reference,
                percent(digital),
                share(lost)
            ),
        )
    };
    Verdict {
        works,
        line: format!("{figure_line}: {}", terms.conclusion(works)),
        figure: figure_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMS: Terms = Terms {
        subject: "this mapping",
        reference: "the digital model",
        tolerance: 0.1,
    };

    /// The perplexities users met with SmolLM2 at the seed rig's light and 8-bit ADC
    /// (vocabulary 49,152; the digital model 72.56 on the default text): the ternary one is
    /// worse than uniform guessing, the analog one 95 % of the way to it; neither works.
    #[test]
    fn perplexities_are_judged_against_the_digital_model_and_uniform_guessing() {
        let v = perplexity(3_988_067.4, 72.56, 49_152, &TERMS);
        assert_eq!(v.works, Works::No);
        assert_eq!(
            v.line,
            "perplexity 3.99 million, worse than guessing uniformly over the 49,152-token \
             vocabulary: this mapping does not work"
        );
        let v = perplexity(35_454.69, 72.56, 49_152, &TERMS);
        assert_eq!(v.works, Works::No);
        assert_eq!(
            v.line,
            "perplexity 35,455, 489 times the digital model's 72.6 and 95.0 % of the way from it \
             to guessing uniformly over the 49,152-token vocabulary: this mapping does not work"
        );
        let v = perplexity(20.64, 20.0, 49_152, &TERMS);
        assert_eq!(
            (v.works, v.line.as_str()),
            (
                Works::Yes,
                "perplexity 20.6, within 3.20 % of the digital model's 20.0: this mapping works"
            )
        );
        let v = perplexity(19.0, 20.0, 49_152, &TERMS);
        assert_eq!(v.works, Works::Yes);
        assert!(
            v.line.contains("5.00 % below the digital model's 20.0"),
            "{}",
            v.line
        );
        // 30 is ln(1.5) / ln(2458) = 5 % of the way to uniform guessing: degraded.
        let v = perplexity(30.0, 20.0, 49_152, &TERMS);
        assert_eq!(v.works, Works::Degraded);
        assert!(
            v.line
                .ends_with("this mapping degrades the model beyond the 10.0 % tolerance"),
            "{}",
            v.line
        );
        // Half of the way in nats: the geometric mean of the digital model and the vocabulary.
        let half = (20.0f64 * 49_152.0).sqrt();
        assert_eq!(
            perplexity(half * 0.99, 20.0, 49_152, &TERMS).works,
            Works::Degraded
        );
        assert_eq!(
            perplexity(half * 1.01, 20.0, 49_152, &TERMS).works,
            Works::No
        );
        for bad in [f64::NAN, f64::INFINITY] {
            let v = perplexity(bad, 20.0, 49_152, &TERMS);
            assert_eq!(v.works, Works::No);
            assert!(v.line.ends_with("this mapping does not work"), "{}", v.line);
        }
        assert!(
            perplexity(f64::INFINITY, 20.0, 100, &TERMS)
                .line
                .starts_with(
                    "perplexity infinite, worse than guessing uniformly over the 100-token"
                )
        );
        // A digital model that is itself no better than uniform guessing does not make a worse
        // one work.
        assert_eq!(perplexity(300.0, 290.0, 257, &TERMS).works, Works::No);
        assert_eq!(perplexity(250.0, 290.0, 257, &TERMS).works, Works::Yes);
    }

    #[test]
    fn rankings_are_judged_against_the_digital_model_and_random_picks() {
        // 20 sentences: a paraphrase picked at random among the 19 others is right 1 time in 19.
        let v = ranking(0.05, 1.0, 19, &TERMS);
        assert_eq!(v.works, Works::No);
        assert_eq!(
            v.line,
            "ranks 5.00 % of the paraphrases first, no better than picking at random among the \
             other 19 sentences (5.26 %): this mapping does not work"
        );
        let v = ranking(0.9, 1.0, 19, &TERMS);
        assert_eq!(v.works, Works::Yes);
        assert!(
            v.line
                .contains("within 10.0 % of the digital model (100 %)"),
            "{}",
            v.line
        );
        assert_eq!(ranking(1.0, 0.9, 19, &TERMS).works, Works::Yes);
        assert_eq!(ranking(0.7, 1.0, 19, &TERMS).works, Works::Degraded);
        assert_eq!(ranking(0.4, 1.0, 19, &TERMS).works, Works::No);
        assert_eq!(ranking(f64::NAN, 1.0, 19, &TERMS).works, Works::No);
    }

    #[test]
    fn words_order_from_worst_to_best() {
        assert!(Works::No < Works::Degraded && Works::Degraded < Works::Yes);
        assert_eq!(
            [Works::Yes, Works::Degraded, Works::No].map(Works::word),
            ["yes", "degraded", "no"]
        );
    }
}
