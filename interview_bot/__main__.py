from interview_bot.cli import main

main()
