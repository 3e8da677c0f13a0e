"""Trade statistics and the Time Release Study over an analytical store of Parquet files."""
