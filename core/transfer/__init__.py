"""Import and export: scheduled posts from a CSV file, and the profile's posts out as a file."""
