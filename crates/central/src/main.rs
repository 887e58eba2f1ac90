//! `bluelamp-central --listen ADDR --db FILE [--seed-demo]` serves;
//! `bluelamp-central --db FILE stats --json` prints counts.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use bluelamp_central::Central;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "bluelamp-central", version, about = "Bluelamp's central records service")]
struct Args {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The service database file (created if missing).
    #[arg(long)]
    db: PathBuf,
    /// Create the demo officers and synthetic people (demo and training only).
    #[arg(long)]
    seed_demo: bool,
    /// How many synthetic people `--seed-demo` creates.
    #[arg(long, default_value_t = 300)]
    demo_nominals: usize,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print counts per record type.
    Stats {
        #[arg(long)]
        json: bool,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let central = Central::open(&args.db).with_context(|| format!("cannot open {}", args.db.display()))?;
    if let Some(Command::Stats { json }) = args.command {
        let stats = central.stats()?;
        if json {
            println!("{}", stats.to_json());
        } else {
            println!(
                "officers: {}\nnominals: {}\nduplicate applications: {}",
                stats.officers, stats.nominals, stats.duplicate_applications
            );
        }
        return Ok(());
    }
    if args.seed_demo {
        central.seed_demo(args.demo_nominals)?;
    }
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let running = bluelamp_central::spawn(central, args.listen).await?;
        // Scripts and tests read this first line to learn the port.
        println!("listening on {}", running.url());
        std::io::stdout().flush()?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = sigterm() => {}
        }
        tracing::info!("shutting down");
        running.stop().await;
        anyhow::Ok(())
    })
}

#[cfg(unix)]
async fn sigterm() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

#[cfg(not(unix))]
async fn sigterm() {
    std::future::pending::<()>().await
}
