from journey.cli.main import main

main()
