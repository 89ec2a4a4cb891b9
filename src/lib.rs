//! csmon: a terminal monitor of e-commerce customer-service quality.
//!
//! Data flows folder -> `ingest` (watch, read complete records) -> `normalize` (types,
//! validation, quarantine) -> `cases` (upsert by key, lookups) -> `metrics` and `model` ->
//! `alerts` -> `engine` snapshot -> `ui`, `report` and `export`.

pub mod alerts;
pub mod cases;
pub mod cli;
pub mod config;
pub mod engine;
pub mod export;
pub mod ingest;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod replay;
pub mod report;
pub mod ui;
