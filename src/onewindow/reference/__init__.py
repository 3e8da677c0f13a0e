"""Reference data: HS nomenclature, countries, currencies, UN/LOCODE and code lists."""
