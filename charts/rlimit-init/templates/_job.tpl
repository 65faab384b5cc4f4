{{/* SPDX-License-Identifier: Apache-2.0 */}}
{{/*
The Job's pod template and JobSpec, shared by job.yaml and cronjob.yaml.
*/}}

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
  {{- include "rlimit-init.podSpec" (dict "root" . "check" false) | nindent 2 }}
{{- end }}

{{/*
The PodSpec of the workload, and of the `helm test` Pod, which is the same pod with
`rlimit-init check` in place of the workload's command: the same image (its /etc/passwd for a
named user:), securityContext (capabilities for raiseHard), resources (the cgroup limit),
environment, injection and placement, so that the check decides what the workload will get.
Called with (dict "root" $ "check" BOOL).
*/}}
{{- define "rlimit-init.podSpec" -}}
{{- $check := .check }}
{{- with .root -}}
# podFailurePolicy requires Never: a failed pod is replaced by a new one, and the Job
# controller sees each container's exit code.
restartPolicy: Never
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
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
      {{- toYaml . | nindent 6 }}
    {{- end }}
    terminationMessagePolicy: FallbackToLogsOnError
    volumeMounts:
      - name: rlimit-init-bin
        mountPath: {{ include "rlimit-init.installDir" . }}
{{- end }}
containers:
  {{- if $check }}
  - name: check
  {{- else }}
  - name: workload
  {{- end }}
    image: {{ include "rlimit-init.workloadImage" . }}
    imagePullPolicy: {{ .Values.workload.image.pullPolicy }}
    {{- if $check }}
    # Decides as the workload's rlimit-init would, and execs nothing: exit 0 grants, 77
    # refuses (a cap must change), 78 the policy is invalid (an unknown user: too).
    command:
      - {{ include "rlimit-init.binaryPath" . }}
      - check
      - --policy
      - {{ include "rlimit-init.policyFile" . }}
    {{- else }}
    # rlimit-init sets RLIMIT_AS per the policy, then execs the workload's own command.
    {{- $wrapper := list (include "rlimit-init.binaryPath" .) "--policy" (include "rlimit-init.policyFile" .) "--" }}
    command:
      {{- concat $wrapper .Values.workload.command | toYaml | nindent 6 }}
    {{- with .Values.workload.args }}
    args:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- end }}
    {{- with .Values.workload.env }}
    env:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .Values.workload.envFrom }}
    envFrom:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .Values.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .Values.securityContext }}
    securityContext:
      {{- toYaml . | nindent 6 }}
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
      {{- /* The check reads only the policy and the image: the workload's own volumes (a
      ReadWriteOnce claim the Job holds, say) stay out of the test Pod. */}}
      {{- if not $check }}
      {{- with .Values.workload.volumeMounts }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
      {{- end }}
volumes:
  - name: policy
    configMap:
      name: {{ include "rlimit-init.fullname" . }}
  {{- if eq .Values.injection.mode "initContainer" }}
  - name: rlimit-init-bin
    emptyDir: {}
  {{- end }}
  {{- if not $check }}
  {{- with .Values.volumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
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
# the policy (a cap outside the pod must change), 78 policy invalid or missing, 126 the workload
# is not executable, 127 it is not found (an image does not grow a program on retry). They
# fail the Job at once; every other failure counts against backoffLimit.
podFailurePolicy:
  rules:
    - action: FailJob
      onExitCodes:
        containerName: workload
        operator: In
        values: [64, 77, 78, 126, 127]
template:
  {{- include "rlimit-init.podTemplate" . | nindent 2 }}
{{- end }}
