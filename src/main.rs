//! The `agora` binary: parse the command line, start logging, run the command.

use std::process::ExitCode;

// glibc's allocator gives each thread that allocates its own arena and keeps freed memory
// in them: with a blocking thread per concurrent query, a search load left the process at
// ~200 MiB; jemalloc kept it near 135 MiB, and searched and listed as fast or faster.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    agora::cli::init_logging();
    agora::cli::run()
}
