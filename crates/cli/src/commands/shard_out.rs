//! The options of a command that can run one shard of its work: `--shard K/N --out FILE
//! [--force]`, shared by `simulate` and `reservoir`.

use crate::load::{CliError, CliResult};
use clap::Args;
use lightloop_cost::shard::Shard;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ShardOut {
    /// Run only shard K of N of the work (its contiguous block of symbols or seeds, with random
    /// streams of its own) and write its result to --out for `lightloop merge`
    #[arg(long, value_name = "K/N", requires = "out")]
    pub shard: Option<String>,
    /// With --shard: the shard's result (JSON)
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub out: Option<PathBuf>,
    /// With --shard: overwrite an existing --out
    #[arg(long, requires = "shard")]
    pub force: bool,
}

impl ShardOut {
    /// The shard asked for, parsed.
    pub fn shard(&self) -> CliResult<Option<Shard>> {
        Ok(self.shard.as_deref().map(str::parse).transpose()?)
    }

    /// The shard's file, refused before any work when it exists and --force is not given.
    pub fn out(&self) -> CliResult<Option<&Path>> {
        match &self.out {
            Some(p) if p.exists() && !self.force => Err(CliError::BadInput(format!(
                "{} already exists; pass --force to overwrite it",
                p.display()
            ))),
            p => Ok(p.as_deref()),
        }
    }
}
