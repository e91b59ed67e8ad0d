"""The `gongkai` command line (typer + rich): a thin layer over pipeline/ and the flows."""
