"""Seeds a local moto server through the AWS APIs (boto3), for the `account` tests.

Usage: python3 moto_seed.py ENDPOINT_URL REGION

Each line on standard input is a JSON list of calls, {"call": "create_thing", "args": {...},
"save": {"NAME": "responseKey"}}, each an AWS IoT call unless it names another service
("service": "iam"); "{NAME}" in any later string argument of the line is replaced by the value
saved; {"call": "reset"} empties the server (moto's /moto-api/reset). For each line one JSON
line is printed: the values saved, or {"error": "..."} when a
call failed. One process serves a test's every seeding, so boto3 is imported once. Only the
local endpoint is ever contacted: the credentials are fake.
"""

import json
import sys
import traceback
import urllib.request

import boto3


def substitute(value, saved):
    if isinstance(value, str):
        for name, text in saved.items():
            value = value.replace("{" + name + "}", text)
        return value
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    return value


def main():
    endpoint, region = sys.argv[1], sys.argv[2]
    clients = {}

    def client(service):
        if service not in clients:
            clients[service] = boto3.client(
                service,
                endpoint_url=endpoint,
                region_name=region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return clients[service]

    for line in sys.stdin:
        if not line.strip():
            continue
        saved = {}
        try:
            for step in json.loads(line):
                if step["call"] == "reset":
                    request = urllib.request.Request(endpoint + "/moto-api/reset", method="POST")
                    # Straight to the loopback server, whatever proxy the environment names.
                    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                    opener.open(request, timeout=30).read()
                    continue
                args = substitute(step.get("args", {}), saved)
                answer = getattr(client(step.get("service", "iot")), step["call"])(**args)
                for name, key in step.get("save", {}).items():
                    saved[name] = answer[key]
            print(json.dumps(saved), flush=True)
        except Exception:  # the test names the failure; the process serves the next line
            print(json.dumps({"error": traceback.format_exc()}), flush=True)


if __name__ == "__main__":
    main()
