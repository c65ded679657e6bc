"""What several test modules share, one module per subject (cases, bundles, projects, pages,
browser …): helpers and sample data, never tests or fixtures. Test modules import from here,
never from one another."""
