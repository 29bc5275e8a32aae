//! # lightloop-base
//!
//! What every model of lightloop stands on: named, reproducible random streams (the same seed
//! gives the same numbers whatever the thread count), statistics with their intervals, and the
//! choice between the AVX2 and plain builds of a loop; and output folders that are never seen
//! half-written.

pub mod normals;
pub mod output;
pub mod rng;
pub mod stats;
pub mod words;

/// `$wide`, a call of the AVX2 build of a loop (a `#[target_feature(enable = "avx2")]` copy of
/// its plain build, in the caller's `unsafe` block), when the processor has AVX2; `$plain`, the
/// plain build, otherwise. Both builds run the same operations in the same order (no fused
/// multiply-adds), so they give the same numbers; only the width of the vector instructions
/// differs.
#[macro_export]
macro_rules! avx2_or {
    ($wide:expr, $plain:expr $(,)?) => {{
        #[cfg(target_arch = "x86_64")]
        let result = if std::arch::is_x86_feature_detected!("avx2") {
            $wide
        } else {
            $plain
        };
        #[cfg(not(target_arch = "x86_64"))]
        let result = $plain;
        result
    }};
}

/// As [`avx2_or!`], with a third build first: `$w512`, the AVX-512 build (a
/// `#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]` copy), where the processor
/// has those four.
#[macro_export]
macro_rules! avx512_avx2_or {
    ($w512:expr, $wide:expr, $plain:expr $(,)?) => {{
        #[cfg(target_arch = "x86_64")]
        let result = if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            $w512
        } else if std::arch::is_x86_feature_detected!("avx2") {
            $wide
        } else {
            $plain
        };
        #[cfg(not(target_arch = "x86_64"))]
        let result = $plain;
        result
    }};
}
