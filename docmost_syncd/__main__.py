from docmost_syncd.cli import main

raise SystemExit(main())
