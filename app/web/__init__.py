"""The web front end: the built MapLibre app (frontend/dist) and the offline basemap it draws on."""
