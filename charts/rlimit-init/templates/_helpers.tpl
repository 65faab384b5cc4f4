{{/* SPDX-License-Identifier: Apache-2.0 */}}
{{/*
Names, labels, image references, paths and the policy text, shared by every template.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "rlimit-init.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The object name: fullnameOverride, or "<release>-<name>" unless the release name already
contains the name. Cut to 52 characters, not 63: a CronJob's Jobs get an 11-character suffix and
their pods inherit the name in the job-name label, which is limited to 63.
*/}}
{{- define "rlimit-init.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "rlimit-init.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels that identify this release's pods. They never change across upgrades, so anything
that selects pods (kubectl -l, NOTES.txt) can rely on them.
*/}}
{{- define "rlimit-init.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rlimit-init.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* All labels of every object: the selector labels plus the ones that change with versions. */}}
{{- define "rlimit-init.labels" -}}
helm.sh/chart: {{ include "rlimit-init.chart" . }}
{{ include "rlimit-init.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The rlimit-init image reference; the tag defaults to the chart's appVersion. */}}
{{- define "rlimit-init.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The workload image reference; without a tag, the repository as written. */}}
{{- define "rlimit-init.workloadImage" -}}
{{- if .Values.workload.image.tag }}
{{- printf "%s:%s" .Values.workload.image.repository .Values.workload.image.tag }}
{{- else }}
{{- .Values.workload.image.repository }}
{{- end }}
{{- end }}

{{/*
Fixed paths of the injection. The policy directory is where the ConfigMap is mounted; the
binary directory is the emptyDir in initContainer mode (mounted at /target in the init
container, which runs `rlimit-init install /target`).
*/}}
{{- define "rlimit-init.policyDir" -}}/etc/rlimit-init{{- end }}
{{- define "rlimit-init.policyFile" -}}{{ include "rlimit-init.policyDir" . }}/policy.yaml{{- end }}
{{- define "rlimit-init.binDir" -}}/rlimit-init{{- end }}
{{- define "rlimit-init.installDir" -}}/target{{- end }}

{{/* Where the workload container finds the binary, in either injection mode. */}}
{{- define "rlimit-init.binaryPath" -}}
{{- if eq .Values.injection.mode "image" }}
{{- .Values.injection.binaryPath }}
{{- else }}
{{- include "rlimit-init.binDir" . }}/rlimit-init
{{- end }}
{{- end }}

{{/*
The policy file as mounted, less the final newline that the ConfigMap's block scalar adds; the
ConfigMap and the checksum annotation (which adds the newline back) both use this, so the
checksum is the sha256 of the mounted file and changes exactly when the file does.
*/}}
{{- define "rlimit-init.policyYaml" -}}
{{- toYaml .Values.policy }}
{{- end }}

{{/*
The path the policy tells rlimit-init to write its report to, or "" when disabled. The
workload container's terminationMessagePath is set to the same file so that Kubernetes shows
the report in the pod's status.
*/}}
{{- define "rlimit-init.terminationMessagePath" -}}
{{- $report := .Values.policy.report | default dict }}
{{- if hasKey $report "terminationMessagePath" }}
{{- $report.terminationMessagePath }}
{{- else }}
{{- print "/dev/termination-log" }}
{{- end }}
{{- end }}
