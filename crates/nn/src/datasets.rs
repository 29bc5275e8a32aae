//! The real data sets shipped in `data/` (see `data/PROVENANCE.md` for sources, licences and
//! checksums), compiled into the binary so that every command finds them on any machine.

use thiserror::Error;

/// A shipped file that does not parse (a corrupted checkout).
#[derive(Debug, Error)]
#[error("data/{file}, line {line}: {message}")]
pub struct DataError {
    pub file: &'static str,
    pub line: usize,
    pub message: String,
}

const SANTA_FE: &str = include_str!("../../../data/santafe_laser.csv");
const DIGITS: &str = include_str!("../../../data/digits.csv");
const VOWELS_TRAIN: &str = include_str!("../../../data/japanese_vowels_train.csv");
const VOWELS_TEST: &str = include_str!("../../../data/japanese_vowels_test.csv");
const ENGLISH: &str = include_str!("../../../data/english.txt");

/// Rows of a CSV text after its header, each split at commas, with 1-based line numbers.
fn rows(text: &'static str) -> impl Iterator<Item = (usize, Vec<&'static str>)> {
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.split(',').collect()))
}

fn number<T: std::str::FromStr>(
    file: &'static str,
    line: usize,
    cell: &str,
) -> Result<T, DataError> {
    cell.trim().parse().map_err(|_| DataError {
        file,
        line,
        message: format!("'{cell}' is not a number"),
    })
}

/// The Santa Fe laser series (data set A of the Santa Fe time-series competition: a far-infrared
/// NH₃ laser in a chaotic state), 10 093 intensity samples, integers 0–255.
pub fn santa_fe() -> Result<Vec<f64>, DataError> {
    rows(SANTA_FE)
        .map(|(line, cells)| number("santafe_laser.csv", line, cells[0]))
        .collect()
}

/// One labelled example.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub features: Vec<f64>,
    pub label: usize,
}

/// scikit-learn's 8×8 handwritten digits: 1 797 images of 64 pixels valued 0–16, labels 0–9.
pub fn digits() -> Result<Vec<Example>, DataError> {
    let file = "digits.csv";
    rows(DIGITS)
        .map(|(line, cells)| {
            if cells.len() != 65 {
                return Err(DataError {
                    file,
                    line,
                    message: format!("{} cells, expected 65", cells.len()),
                });
            }
            Ok(Example {
                features: cells[..64]
                    .iter()
                    .map(|c| number(file, line, c))
                    .collect::<Result<_, _>>()?,
                label: number(file, line, cells[64])?,
            })
        })
        .collect()
}

/// One utterance of the Japanese Vowels set: frames of 12 LPC cepstrum coefficients.
#[derive(Debug, Clone, PartialEq)]
pub struct Utterance {
    pub frames: Vec<[f64; 12]>,
    /// Speaker, 0–8 (the file's 1–9 minus one).
    pub speaker: usize,
}

fn vowels(file: &'static str, text: &'static str) -> Result<Vec<Utterance>, DataError> {
    let mut out: Vec<Utterance> = Vec::new();
    for (line, cells) in rows(text) {
        let bad = |message: String| DataError {
            file,
            line,
            message,
        };
        if cells.len() != 15 {
            return Err(bad(format!("{} cells, expected 15", cells.len())));
        }
        let series: usize = number(file, line, cells[0])?;
        let label: usize = number(file, line, cells[2])?;
        if !(1..=9).contains(&label) {
            return Err(bad(format!("speaker {label} is not 1–9")));
        }
        let mut frame = [0.0; 12];
        for (f, c) in frame.iter_mut().zip(&cells[3..]) {
            *f = number(file, line, c)?;
        }
        if series == out.len() {
            out.push(Utterance {
                frames: Vec::new(),
                speaker: label - 1,
            });
        } else if series + 1 != out.len() {
            return Err(bad(format!("series {series} out of order")));
        }
        out[series].frames.push(frame);
    }
    Ok(out)
}

/// The UCI Japanese Vowels set (Kudo, Toyama & Shimbo 1999): 270 training and 370 test
/// utterances of /ae/ by 9 speakers.
pub fn japanese_vowels() -> Result<(Vec<Utterance>, Vec<Utterance>), DataError> {
    Ok((
        vowels("japanese_vowels_train.csv", VOWELS_TRAIN)?,
        vowels("japanese_vowels_test.csv", VOWELS_TEST)?,
    ))
}

/// A real English prose text (a Library of Congress report of 1992, shipped in a compression
/// test corpus; see the provenance note), ASCII, for character-level language models.
pub fn english_text() -> &'static str {
    ENGLISH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn santa_fe_is_the_published_series() {
        let s = santa_fe().unwrap();
        assert_eq!(s.len(), 10_093);
        assert_eq!(&s[..5], &[86.0, 141.0, 95.0, 41.0, 22.0]);
        assert!(s.iter().all(|v| (0.0..=255.0).contains(v)));
    }

    #[test]
    fn digits_have_1797_images_of_ten_classes() {
        let d = digits().unwrap();
        assert_eq!(d.len(), 1797);
        let mut counts = [0usize; 10];
        for e in &d {
            counts[e.label] += 1;
            assert!(e.features.iter().all(|p| (0.0..=16.0).contains(p)));
        }
        assert!(counts.iter().all(|c| (170..=185).contains(c)), "{counts:?}");
    }

    #[test]
    fn japanese_vowels_match_the_uci_description() {
        let (train, test) = japanese_vowels().unwrap();
        assert_eq!((train.len(), test.len()), (270, 370));
        let frames: usize = train.iter().chain(&test).map(|u| u.frames.len()).sum();
        assert_eq!(frames, 9961);
        let lengths = train.iter().chain(&test).map(|u| u.frames.len());
        assert_eq!((lengths.clone().min(), lengths.max()), (Some(7), Some(29)));
        let mut per = [0usize; 9];
        train.iter().for_each(|u| per[u.speaker] += 1);
        assert_eq!(per, [30; 9]);
    }

    #[test]
    fn english_text_is_ascii_prose() {
        let t = english_text();
        assert!(t.len() > 300_000 && t.is_ascii());
        assert!(t.split_whitespace().count() > 50_000);
    }
}
