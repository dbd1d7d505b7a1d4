#!/usr/bin/env python3
"""Checks the deployment files against each other and against the daemon.

usage: check_deployment.py REPO_ROOT MAILTRIAGED

- packaging/kubernetes/*.yaml parse, kustomization.yaml lists every manifest, and the
  objects agree: selectors match the pod labels, the Service, probes and the
  configuration use the container's ports, the grace period covers preStop plus the
  drain timeout, message memory fits the memory limit, the pod runs as the image's
  numeric non-root user with a read-only root and no capabilities;
- the ConfigMap's mailtriage.yaml passes `mailtriaged --check-config`;
- packaging/docker/Dockerfile exposes, checks and runs what the manifests expect;
- packaging/postfix/main.cf has only parameters Postfix knows (postconf), protocol 6,
  and timeouts above the daemon's verdict deadline.
Exit 0 pass, 1 a check failed, 77 PyYAML missing.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("SKIP: PyYAML not installed (apt-get install python3-yaml)", file=sys.stderr)
    sys.exit(77)

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def seconds(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", str(text))
    if not m:
        raise ValueError(f"not a duration: {text}")
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def mebibytes(text):
    m = re.fullmatch(r"(\d+)(B|KiB|MiB|GiB|Ki|Mi|Gi)", str(text))
    if not m:
        raise ValueError(f"not a size: {text}")
    return int(m.group(1)) * {"B": 1 / 2**20, "KiB": 1 / 1024, "Ki": 1 / 1024, "MiB": 1, "Mi": 1,
                              "GiB": 1024, "Gi": 1024}[m.group(2)]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    root, daemon = sys.argv[1], sys.argv[2]
    kdir = os.path.join(root, "packaging", "kubernetes")

    # ---------------------------------------------------------------- manifests
    objects = {}
    files = sorted(f for f in os.listdir(kdir) if f.endswith(".yaml"))
    for f in files:
        with open(os.path.join(kdir, f), encoding="utf-8") as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d is not None]
        for d in docs:
            check(all(k in d for k in ("apiVersion", "kind")), f"{f}: {d.get('kind')} has apiVersion and kind")
            objects[d["kind"]] = d
    kust = objects.pop("Kustomization")
    check(sorted(kust["resources"]) == sorted(f for f in files if f != "kustomization.yaml"),
          "kustomization.yaml lists every manifest")
    for kind, api in (("ConfigMap", "v1"), ("Deployment", "apps/v1"), ("Service", "v1"),
                      ("PodDisruptionBudget", "policy/v1"), ("HorizontalPodAutoscaler", "autoscaling/v2")):
        check(objects.get(kind, {}).get("apiVersion") == api, f"{kind} present as {api}")
    dep, svc, pdb, hpa, cm = (objects[k] for k in ("Deployment", "Service", "PodDisruptionBudget",
                                                   "HorizontalPodAutoscaler", "ConfigMap"))
    pod = dep["spec"]["template"]
    labels = pod["metadata"]["labels"]

    def selects(selector):
        return bool(selector) and all(labels.get(k) == v for k, v in selector.items())

    check(selects(dep["spec"]["selector"]["matchLabels"]), "Deployment selector matches its pod labels")
    check(selects(svc["spec"]["selector"]), "Service selects the pods")
    check(selects(pdb["spec"]["selector"]["matchLabels"]), "PodDisruptionBudget selects the pods")
    for c in pod["spec"].get("topologySpreadConstraints", []):
        check(selects(c["labelSelector"]["matchLabels"]), "topology spread selects the pods")
    ref = hpa["spec"]["scaleTargetRef"]
    check(ref["kind"] == "Deployment" and ref["name"] == dep["metadata"]["name"], "HPA scales the Deployment")
    check(hpa["spec"]["minReplicas"] >= 2, "HPA keeps at least two pods (one can drain)")
    check("replicas" not in dep["spec"], "Deployment leaves the replica count to the HPA")

    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    check(set(ports) == {"milter", "http"}, "container ports are milter and http")
    for p in svc["spec"]["ports"]:
        check(p["targetPort"] in ports, f"Service port {p['name']} targets a container port")
    probes = {k: container.get(k) for k in ("startupProbe", "readinessProbe", "livenessProbe")}
    check(probes["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probe asks /readyz")
    check(probes["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness probe asks /healthz")
    for k, p in probes.items():
        check(p is not None and p["httpGet"]["port"] == "http", f"{k} uses the http port")
    res = container["resources"]
    check("cpu" in res["requests"], "CPU request set (the HPA's utilisation is relative to it)")

    # ---------------------------------------------------------------- configuration
    config_text = cm["data"]["mailtriage.yaml"]
    config = yaml.safe_load(config_text)
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    vol = next(v for v in pod["spec"]["volumes"] if v["name"] == "config")
    check(vol["configMap"]["name"] == cm["metadata"]["name"] and mount["mountPath"] == "/etc/mailtriage",
          "ConfigMap mounted as the directory /etc/mailtriage")
    check("subPath" not in mount, "no subPath (it would stop ConfigMap updates reaching the pod)")
    check(container["args"] == ["--config", "/etc/mailtriage/mailtriage.yaml"], "daemon reads the mounted file")
    check(config["milter"]["listen"] == f"inet:{ports['milter']}@0.0.0.0", "milter listens on the pod address")
    check(config["http"]["listen"] == f"0.0.0.0:{ports['http']}", "HTTP listens on the pod address")
    drain = seconds(config["milter"].get("timeouts", {}).get("drain", "30s"))
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    check(pre_stop[0] == "sleep", "preStop waits for endpoint removal")
    grace = pod["spec"]["terminationGracePeriodSeconds"]
    check(grace > float(pre_stop[1]) + drain, f"grace {grace}s > preStop {pre_stop[1]}s + drain {drain:g}s")
    scan = mebibytes(config["milter"].get("limits", {}).get("scan_bytes", "1MiB"))
    held = config["milter"]["max_connections"] * scan
    limit = mebibytes(res["limits"]["memory"])
    check(held + 128 <= limit, f"{held:g} MiB of messages + 128 MiB fit the {limit:g} MiB limit")

    defaults = subprocess.run([daemon, "--print-default-config"], capture_output=True, text=True,
                              check=True).stdout
    checked = dict(config)
    if not re.search(r"^http:", defaults, re.M):
        # Built before the HTTP endpoint existed: check the rest, say so.
        print("note  this mailtriaged has no http section yet; checking the ConfigMap without it")
        checked.pop("http", None)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as tmp:
        yaml.safe_dump(checked, tmp)
    try:
        r = subprocess.run([daemon, "--check-config", "--config", tmp.name], capture_output=True, text=True)
    finally:
        os.unlink(tmp.name)
    check(r.returncode == 0, "ConfigMap's mailtriage.yaml passes mailtriaged --check-config"
          + ("" if r.returncode == 0 else ": " + r.stderr.strip()))

    # ---------------------------------------------------------------- security
    psc, csc = pod["spec"]["securityContext"], container["securityContext"]
    check(psc.get("runAsNonRoot") is True, "runAsNonRoot")
    check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "RuntimeDefault seccomp profile")
    check(csc.get("readOnlyRootFilesystem") is True, "read-only root filesystem")
    check(csc.get("allowPrivilegeEscalation") is False, "no privilege escalation")
    check(csc.get("capabilities", {}).get("drop") == ["ALL"], "all capabilities dropped")

    # ---------------------------------------------------------------- Dockerfile
    with open(os.path.join(root, "packaging", "docker", "Dockerfile"), encoding="utf-8") as fh:
        # Continuation lines joined: one instruction per line.
        dockerfile = re.sub(r"\\\n\s*", " ", fh.read())
    uid = re.search(r"^ARG MAILTRIAGE_UID=(\d+)$", dockerfile, re.M)
    check(uid is not None and int(uid.group(1)) == psc.get("runAsUser") == psc.get("runAsGroup"),
          "pod runs as the image's mailtriage uid/gid")
    check(re.search(r"^USER \$\{MAILTRIAGE_UID\}:\$\{MAILTRIAGE_UID\}$", dockerfile, re.M) is not None,
          "image runs as the numeric mailtriage user")
    check(re.search(rf"^EXPOSE {ports['milter']} {ports['http']}$", dockerfile, re.M) is not None,
          "image exposes the milter and http ports")
    check(re.search(rf"^HEALTHCHECK .*127\.0\.0\.1/{ports['http']}.*GET /healthz", dockerfile, re.M) is not None,
          "image health check asks /healthz on the http port")
    check("STOPSIGNAL SIGTERM" in dockerfile, "image stops with SIGTERM (drain)")
    check(f"inet:{ports['milter']}@0.0.0.0" in dockerfile, "image's default command listens on the milter port")
    check(os.path.exists(os.path.join(root, ".dockerignore")), ".dockerignore present")

    # ---------------------------------------------------------------- Postfix
    main_cf = os.path.join(root, "packaging", "postfix", "main.cf")
    if shutil.which("postconf"):
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(main_cf, os.path.join(d, "main.cf"))
            open(os.path.join(d, "master.cf"), "w").close()
            r = subprocess.run(["postconf", "-c", d, "-n"], capture_output=True, text=True)
        check(r.returncode == 0 and "unused parameter" not in r.stderr,
              "postconf knows every parameter in packaging/postfix/main.cf " + r.stderr.strip())
        params = dict(line.split(" = ", 1) for line in r.stdout.splitlines() if " = " in line)
    else:
        print("note  postconf not installed: Postfix parameter names not checked")
        params = {}
        with open(main_cf, encoding="utf-8") as fh:
            for line in fh:
                if "=" in line and not line.lstrip().startswith("#"):
                    k, v = line.split("=", 1)
                    params[k.strip()] = v.strip()
    check(params.get("milter_protocol") == "6", "milter_protocol = 6")
    shipped = yaml.safe_load(open(os.path.join(root, "conf", "mailtriage.yaml"), encoding="utf-8"))
    verdict = seconds(shipped["milter"]["timeouts"]["verdict"])
    for p in ("milter_command_timeout", "milter_content_timeout"):
        check(seconds(params.get(p, "0s")) > verdict, f"{p} above the verdict deadline ({verdict:g}s)")

    print(f"{len(failures)} failed" if failures else "all deployment checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
