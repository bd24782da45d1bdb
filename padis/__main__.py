from padis.cli import main

main()
