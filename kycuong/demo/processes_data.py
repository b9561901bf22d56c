"""Demo internal work processes of wards and their instances."""
