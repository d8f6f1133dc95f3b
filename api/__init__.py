"""HTTP API, web pages, the `linli` command line and the demo: adapters over the services."""
