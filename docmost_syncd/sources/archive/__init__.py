"""Space export ZIPs, for ``convert`` only: the safe reader and the model built from an export."""
