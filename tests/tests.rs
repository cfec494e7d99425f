//! Integration tests: drive the real `conduct` binary on fixtures in `tests/data/`, one topic
//! per module, as ripgrep does.

mod api_fuzz;
mod cli;
mod courses;
mod e2e;
mod export;
mod force_figures;
mod homeoffice;
mod ingest;
mod journalist;
mod linkage;
mod parquet_twins;
mod population;
mod pprl;
mod pprl_attack;
mod report;
mod risk;
mod run_breaches;
mod serve;
mod store;
mod synth;
mod util;
mod workbook_fuzz;
mod workflow;
