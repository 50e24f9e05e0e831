"""Results: what each journey, step and arm did — attribution, experiments, the report."""
