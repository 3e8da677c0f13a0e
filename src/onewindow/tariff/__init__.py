"""The tariff: dated measures, duty expressions, and the assessment of duties and taxes."""
