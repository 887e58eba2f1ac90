// Prevents an extra console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// mimalloc: search, pulls and imports allocate many small strings; the system allocator spent
/// about a fifth of a bulk import in malloc/free (measured with perf on the CLI).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    bluelamp_app::main()
}
