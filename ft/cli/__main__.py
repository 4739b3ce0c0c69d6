from ft.cli import main

main()
