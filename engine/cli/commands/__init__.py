"""Sub-commands of `llmplan`: one module each, with add_parser(subparsers) and run(args) -> int.

Keep module tops import-light (argparse only): every command's module is
imported to build the parser, so heavy imports belong inside run().
"""
