from tokenls.cli.main import main

raise SystemExit(main())
