//! The `vxb` binary: a thin shell over [`vxb::cli`].

fn main() -> std::process::ExitCode {
    vxb::cli::main()
}
