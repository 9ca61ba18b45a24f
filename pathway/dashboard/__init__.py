"""Commissioner dashboards (DESIGN.md section 7): aggregates only, small numbers suppressed."""
