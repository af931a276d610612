"""Everything that speaks Docmost: the HTTP client, its data shapes and the safe export reader."""
