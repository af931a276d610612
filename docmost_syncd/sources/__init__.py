"""Where pages come from: the server (``server``) or an export ZIP (``archive``)."""
