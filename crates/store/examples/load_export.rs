//! Times reading every record back from a workspace (`conduct_store::load_export`, the
//! dashboard publication's `read` stage): `cargo run --release -p conduct-store --example
//! load_export -- WORKSPACE [ROUNDS]`. Each round reads the records twice, alternated: as a
//! publication does (the people on a second connection where it can), then inside an open
//! transaction, where `load_export` reads every table on the one connection.

use conduct_store::Store;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(workspace) = args.next() else {
        eprintln!("usage: load_export WORKSPACE [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut store = Store::open_workspace(std::path::Path::new(&workspace)).unwrap_or_else(|e| fail(&e));
    for round in 1..=rounds {
        for one_connection in [false, true] {
            if one_connection {
                store.conn().execute("BEGIN", &[]).unwrap_or_else(|e| fail(&e));
            }
            let started = std::time::Instant::now();
            let e = store.load_export().unwrap_or_else(|e| fail(&e));
            let seconds = started.elapsed().as_secs_f64();
            if one_connection {
                store.conn().execute("COMMIT", &[]).unwrap_or_else(|e| fail(&e));
            }
            println!(
                "round {round}, {}: {} incidents, {} people, {} orders in {seconds:.2}s",
                if one_connection { "one connection" } else { "as published" },
                e.incidents.len(),
                e.people.len(),
                e.orders.len(),
            );
        }
    }
}

fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("load_export: {e}");
    std::process::exit(1);
}
