//! Whether this compiler has the AVX-512 target features stable (Rust 1.89 and later), so
//! that the hub's comparison kernel can have an AVX-512 compilation (`cfg(pprl_avx512)`); on
//! older compilers (the workspace's rust-version is 1.85) the crate builds without it.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(pprl_avx512)");
    println!("cargo::rerun-if-env-changed=RUSTC");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let minor = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.split_whitespace().nth(1)?.split('.').nth(1)?.parse::<u32>().ok());
    if minor.is_some_and(|m| m >= 89) {
        println!("cargo::rustc-cfg=pprl_avx512");
    }
}
