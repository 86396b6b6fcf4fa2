#!/usr/bin/env python3
"""Assemble the .service a Quadlet .container would become, for hosts without Quadlet.

Usage: quadlet-lite.py FILE.container OUT.service
Fails (exit 1, one line per problem) on a [Container] key that Quadlet 4.6 does not know, or a
missing Image=. Prints the `podman run` flags used, one a line, so the caller can check that this
Podman knows them. The output mirrors what Quadlet generates (podman-systemd.unit(5)): the
[Unit], [Service] and [Install] sections as written, plus Type=notify, NotifyAccess=all, KillMode,
PODMAN_SYSTEMD_UNIT and the podman ExecStart/ExecStop. It is an approximation for
`systemd-analyze verify`, not a Quadlet.
"""
import os
import shlex
import sys

# Keys of [Container] in Podman 4.6's Quadlet, with the podman run flag each becomes.
FLAGS = {
    "AddCapability": "--cap-add", "AddDevice": "--device", "Annotation": "--annotation",
    "ContainerName": "--name", "DropCapability": "--cap-drop", "Environment": "--env",
    "EnvironmentFile": "--env-file", "ExposeHostPort": "--expose", "Group": None,
    "HealthCmd": "--health-cmd", "HealthInterval": "--health-interval",
    "HealthOnFailure": "--health-on-failure", "HealthRetries": "--health-retries",
    "HealthStartPeriod": "--health-start-period", "HealthStartupCmd": "--health-startup-cmd",
    "HealthStartupInterval": "--health-startup-interval",
    "HealthStartupRetries": "--health-startup-retries",
    "HealthStartupSuccess": "--health-startup-success",
    "HealthStartupTimeout": "--health-startup-timeout", "HealthTimeout": "--health-timeout",
    "HostName": "--hostname", "IP": "--ip", "IP6": "--ip6", "Label": "--label",
    "LogDriver": "--log-driver", "Mount": "--mount", "Network": "--network",
    "PublishPort": "--publish", "Pull": "--pull", "SeccompProfile": "--security-opt",
    "Secret": "--secret", "Tmpfs": "--tmpfs", "Timezone": "--tz", "User": "--user",
    "UserNS": "--userns", "Volume": "--volume", "WorkingDir": "--workdir",
    # Keys that are not a flag of their own:
    "Image": None, "Exec": None, "PodmanArgs": None, "AutoUpdate": "--label",
    "Notify": "--sdnotify", "EnvironmentHost": "--env-host", "NoNewPrivileges": "--security-opt",
    "ReadOnly": "--read-only", "RunInit": "--init", "VolatileTmp": "--tmpfs",
    "SecurityLabelDisable": "--security-opt", "SecurityLabelFileType": "--security-opt",
    "SecurityLabelLevel": "--security-opt", "SecurityLabelType": "--security-opt",
}


def parse(path):
    """systemd unit syntax: sections, repeated keys, comments, backslash continuations."""
    sections, current, pending = {}, None, ""
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if pending:
            line, pending = pending + line, ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("["):
            current = stripped[1:-1]
            sections.setdefault(current, [])
            continue
        key, _, value = stripped.partition("=")
        sections.setdefault(current, []).append((key.strip(), value.strip()))
    return sections


def main(src, out):
    sections = parse(src)
    container = sections.get("Container", [])
    problems = [f"[Container] {k}= is not a Quadlet 4.6 key" for k, _ in container if k not in FLAGS]
    image = [v for k, v in container if k == "Image"]
    if not image:
        problems.append("[Container] has no Image=")
    if problems:
        print("\n".join(problems))
        return 1

    args = ["/usr/bin/podman", "run", "--name=systemd-%N", "--cidfile=%t/%N.cid", "--replace",
            "--rm", "--cgroups=split", "--sdnotify=conmon", "-d"]
    exec_args = []
    for key, value in container:
        if key == "ContainerName":
            args[2] = f"--name={value}"
        elif key == "Notify" and value == "true":
            args[7] = "--sdnotify=container"
        elif key == "AutoUpdate":
            args.append(f"--label=io.containers.autoupdate={value}")
        elif key == "PodmanArgs":
            args.extend(shlex.split(value))
        elif key == "Exec":
            exec_args = shlex.split(value)
        elif key in ("Image", "Group", "Notify"):
            continue
        elif key == "NoNewPrivileges":
            if value == "true":
                args.append("--security-opt=no-new-privileges")
        elif key == "AddDevice" and value.startswith("-"):
            # Quadlet 4.6: a leading - adds the device only if it exists on the host.
            if os.path.exists(value[1:].split(":", 1)[0]):
                args.append(f"--device={value[1:]}")
        elif FLAGS[key] in ("--read-only", "--init", "--env-host"):
            if value == "true":
                args.append(FLAGS[key])
        else:
            args.append(f"{FLAGS[key]}={value}")
    args += [image[-1], *exec_args]

    lines = []
    for name in ("Unit", "Service", "Install"):
        lines.append(f"[{name}]")
        lines += [f"{k}={v}" for k, v in sections.get(name, [])]
        if name == "Unit":
            lines.append(f"SourcePath={src}")
        if name == "Service":
            lines += [
                "Environment=PODMAN_SYSTEMD_UNIT=%n",
                "KillMode=mixed",
                "Delegate=yes",
                "Type=notify",
                "NotifyAccess=all",
                "SyslogIdentifier=%N",
                "ExecStart=" + " ".join(shlex.quote(a) for a in args),
                "ExecStop=/usr/bin/podman rm -f -i --cidfile=%t/%N.cid",
                "ExecStopPost=-/usr/bin/podman rm -f -i --cidfile=%t/%N.cid",
            ]
        lines.append("")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    for a in args:
        if a.startswith("--"):
            print(a.split("=", 1)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
