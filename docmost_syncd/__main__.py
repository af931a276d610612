from docmost_syncd.cli import entry

entry()
