"""The application tier: a JSON API over the database's greetings, on port 8000.

GET / answers {"host": the replica's hostname, "version": VERSION, "rows": [{"id", "text"}...]},
POST /greetings adds the request body as a greeting, GET /health says the process serves.
The database password is the secret db_password; the database is the service DB_HOST (db).
"""
import json
import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pymysql

VERSION = "1"
PORT = 8000
SECRET = "/run/secrets/db_password"


def connect():
    with open(SECRET) as f:
        password = f.read().strip()
    return pymysql.connect(host=os.environ.get("DB_HOST", "db"), user="app", password=password,
                           database="app", connect_timeout=5)


def rows():
    with connect() as db, db.cursor() as cur:
        cur.execute("SELECT id, text FROM greetings ORDER BY id")
        return [{"id": i, "text": t} for i, t in cur.fetchall()]


def add(text):
    with connect() as db, db.cursor() as cur:
        cur.execute("INSERT INTO greetings (text) VALUES (%s)", (text,))
        db.commit()
        return cur.lastrowid


class Handler(BaseHTTPRequestHandler):
    def reply(self, code, value):
        body = json.dumps(value).encode() + b"\n"
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok"})
        elif self.path == "/":
            self.reply(200, {"host": socket.gethostname(), "version": VERSION, "rows": rows()})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/greetings":
            self.reply(404, {"error": "not found"})
            return
        text = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode().strip()
        self.reply(201, {"host": socket.gethostname(), "id": add(text)})

    def log_message(self, fmt, *args):
        if not self.path == "/health":
            super().log_message(fmt, *args)


if __name__ == "__main__":
    ThreadingHTTPServer(("", PORT), Handler).serve_forever()
