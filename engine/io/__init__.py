"""Files: cell addresses, xlsx/csv/parquet read and write, the scenario template, HF config.json."""
