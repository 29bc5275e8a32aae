//! Output folders: written under `DIR.partial/` and renamed when complete
//! ([`lightloop_base::output`]).

pub use lightloop_base::output::OutputDir;
