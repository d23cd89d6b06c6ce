{{/* Names and labels shared by the templates. */}}

{{- define "brook.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "brook.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "brook.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "brook.selectorLabels" -}}
app.kubernetes.io/name: brook-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "brook.labels" -}}
{{ include "brook.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: operator
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The rules the controller needs where StreamDeployments live: exactly the calls it makes. */}}
{{- define "brook.workloadRules" -}}
# Watch StreamDeployments, read one fresh per reconcile, set its finalizer (merge patch), write its status.
- apiGroups: [brook.dev]
  resources: [streamdeployments]
  verbs: [get, list, watch, patch]
- apiGroups: [brook.dev]
  resources: [streamdeployments/status]
  verbs: [update]
# Children carry ownerReferences with blockOwnerDeletion.
- apiGroups: [brook.dev]
  resources: [streamdeployments/finalizers]
  verbs: [update]
# StreamSnapshots: one recorded per savepoint taken, those users create followed (status, finalizer), deleted with their savepoint.
- apiGroups: [brook.dev]
  resources: [streamsnapshots]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [brook.dev]
  resources: [streamsnapshots/status]
  verbs: [patch]
# Children: watched by label, created and updated by server-side apply; Deployments deleted to tear a job down.
- apiGroups: [apps]
  resources: [deployments]
  verbs: [list, watch, create, patch, delete]
- apiGroups: [""]
  resources: [services, configmaps]
  verbs: [list, watch, create, patch]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
# Each StreamDeployment's cluster secret: created once, never read, listed or changed by the operator.
- apiGroups: [""]
  resources: [secrets]
  verbs: [create]
# JobManager pods, listed by label while the JobManager is not ready, to see a container that keeps failing.
- apiGroups: [""]
  resources: [pods]
  verbs: [list]
{{- end -}}
