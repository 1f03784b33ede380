//! Checks a `vxb simulate --json` report against the schema users are
//! given (`docs/report.schema.json`), so the documented format cannot drift
//! from what vxb writes.

/// Panics, listing every violation, unless `report` satisfies the schema.
pub fn assert_valid_report(report: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/report.schema.json"))
            .expect("docs/report.schema.json is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "the report does not match docs/report.schema.json:\n{}\n{report:#}",
        errors.join("\n")
    );
}
