{{/*
Names, labels and the pieces shared by the Job, the CronJob and the test Pod.
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

{{/*
The pod template of the Job, shared by the Job and the CronJob's jobTemplate.
*/}}
{{- define "rlimit-init.podTemplate" -}}
{{- /* The chart's own labels and annotations win over podLabels and podAnnotations. */}}
{{- $labels := include "rlimit-init.labels" . | fromYaml }}
{{- $_ := set $labels "app.kubernetes.io/component" "workload" }}
{{- $annotations := dict "checksum/policy" (printf "%s\n" (include "rlimit-init.policyYaml" .) | sha256sum) -}}
metadata:
  labels:
    {{- merge $labels .Values.podLabels | toYaml | nindent 4 }}
  annotations:
    {{- merge $annotations .Values.podAnnotations | toYaml | nindent 4 }}
spec:
  # podFailurePolicy requires Never: a failed pod is replaced by a new one, and the Job
  # controller sees each container's exit code.
  restartPolicy: Never
  {{- with .Values.serviceAccountName }}
  serviceAccountName: {{ . }}
  {{- end }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if eq .Values.injection.mode "initContainer" }}
  initContainers:
    - name: install-rlimit-init
      image: {{ include "rlimit-init.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command:
        - /rlimit-init
        - install
        - {{ include "rlimit-init.installDir" . }}
      {{- with .Values.rlimitInitSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      terminationMessagePolicy: FallbackToLogsOnError
      volumeMounts:
        - name: rlimit-init-bin
          mountPath: {{ include "rlimit-init.installDir" . }}
  {{- end }}
  containers:
    - name: workload
      image: {{ include "rlimit-init.workloadImage" . }}
      imagePullPolicy: {{ .Values.workload.image.pullPolicy }}
      # rlimit-init sets RLIMIT_AS per the policy, then execs the workload's own command.
      {{- $wrapper := list (include "rlimit-init.binaryPath" .) "--policy" (include "rlimit-init.policyFile" .) "--" }}
      command:
        {{- concat $wrapper .Values.workload.command | toYaml | nindent 8 }}
      {{- with .Values.workload.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.workload.env }}
      env:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.workload.envFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with include "rlimit-init.terminationMessagePath" . }}
      terminationMessagePath: {{ . }}
      {{- end }}
      # A refusal is written to the termination message; when the process dies before
      # writing one, the last lines of its log stand in.
      terminationMessagePolicy: FallbackToLogsOnError
      volumeMounts:
        - name: policy
          mountPath: {{ include "rlimit-init.policyDir" . }}
          readOnly: true
        {{- if eq .Values.injection.mode "initContainer" }}
        - name: rlimit-init-bin
          mountPath: {{ include "rlimit-init.binDir" . }}
          readOnly: true
        {{- end }}
        {{- with .Values.workload.volumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: policy
      configMap:
        name: {{ include "rlimit-init.fullname" . }}
    {{- if eq .Values.injection.mode "initContainer" }}
    - name: rlimit-init-bin
      emptyDir: {}
    {{- end }}
    {{- with .Values.volumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
The JobSpec, shared by the Job and the CronJob's jobTemplate.
*/}}
{{- define "rlimit-init.jobSpec" -}}
parallelism: {{ .Values.parallelism | int64 }}
completions: {{ .Values.completions | int64 }}
completionMode: {{ .Values.completionMode }}
backoffLimit: {{ .Values.backoffLimit | int64 }}
{{- if not (kindIs "invalid" .Values.activeDeadlineSeconds) }}
activeDeadlineSeconds: {{ .Values.activeDeadlineSeconds | int64 }}
{{- end }}
{{- if not (kindIs "invalid" .Values.ttlSecondsAfterFinished) }}
ttlSecondsAfterFinished: {{ .Values.ttlSecondsAfterFinished | int64 }}
{{- end }}
# Exit codes of rlimit-init itself that no retry can change: 64 bad command line, 77 refused by
# the policy (a cap outside the pod must change), 78 policy invalid or missing. They fail the
# Job at once; every other failure counts against backoffLimit.
podFailurePolicy:
  rules:
    - action: FailJob
      onExitCodes:
        containerName: workload
        operator: In
        values: [64, 77, 78]
template:
  {{- include "rlimit-init.podTemplate" . | nindent 2 }}
{{- end }}
