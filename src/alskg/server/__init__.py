"""Running the web app under an HTTP server (granian or gunicorn), apart from the app itself.

Kept outside the web package on purpose: the server's master process must set the metrics folder
before anything imports prometheus-client, which importing the web package would do.
"""
