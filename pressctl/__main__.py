from pressctl.cli.launcher import main

main()
