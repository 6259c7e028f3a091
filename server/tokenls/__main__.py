from tokenls.cli import main

raise SystemExit(main())
