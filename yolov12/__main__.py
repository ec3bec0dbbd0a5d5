from yolov12.cli import main

raise SystemExit(main())
