//! Reads an export folder through the ingest crate without storing it: a measure of what the
//! readers and validation cost on their own (`cargo run --release -p conduct-ingest --example
//! read_only -- DIR`).

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: read_only DIR"));
    let inputs = conduct_ingest::Inputs {
        incidents: vec![dir.join("incidents.csv")],
        people: vec![dir.join("people.csv")],
        orders: vec![dir.join("orders.csv")],
        risk_assessments: Vec::new(),
    };
    let t = std::time::Instant::now();
    let mut ingest = conduct_ingest::Ingest::new();
    let mut rows = 0usize;
    let summary = ingest
        .run(&inputs, &Default::default(), &mut |b| {
            rows += match b {
                conduct_ingest::Batch::Incidents(v) => v.len(),
                conduct_ingest::Batch::People(v) => v.len(),
                conduct_ingest::Batch::Orders(v) => v.len(),
            };
            true
        })
        .expect("reads");
    eprintln!("{rows} rows accepted of {} read in {:.2} s", summary.read(), t.elapsed().as_secs_f64());
}
