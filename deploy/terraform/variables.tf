variable "region" {
  description = "AWS region to deploy into."
  type        = string
}

variable "name" {
  description = "Name prefix of every resource (and the Environment tag), e.g. oncefleet-prod."
  type        = string
  default     = "oncefleet"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "vpc_id" {
  description = "VPC to deploy into."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the internet-facing load balancer (at least two availability zones)."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the tasks, the database and Redis (at least two availability zones, with a NAT route to reach 1NCE)."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener (users and 1NCE's Data Streamer post over HTTPS)."
  type        = string
}

variable "image" {
  description = "oncefleet container image with an immutable tag or digest, e.g. ghcr.io/oncefleet/oncefleet:v1.2.3."
  type        = string
}

variable "serve_cpu" {
  description = "CPU units of a serve task (1024 = 1 vCPU)."
  type        = number
  default     = 512
}

variable "serve_memory" {
  description = "Memory of a serve task, MiB."
  type        = number
  default     = 1024
}

variable "serve_min_count" {
  description = "Minimum number of serve tasks (autoscaling floor)."
  type        = number
  default     = 2
}

variable "serve_max_count" {
  description = "Maximum number of serve tasks (autoscaling ceiling)."
  type        = number
  default     = 10
}

variable "serve_cpu_target" {
  description = "Average CPU utilisation (percent) the serve service scales to."
  type        = number
  default     = 70
}

variable "worker_cpu" {
  description = "CPU units of a worker task."
  type        = number
  default     = 512
}

variable "worker_memory" {
  description = "Memory of a worker task, MiB."
  type        = number
  default     = 1024
}

variable "worker_count" {
  description = "Number of worker tasks (periodic jobs run once per schedule across them)."
  type        = number
  default     = 1
}

variable "once_client_id" {
  description = "1NCE API client id; empty runs oncefleet without calls to 1NCE."
  type        = string
  default     = ""
}

variable "once_client_secret" {
  description = "1NCE API client secret, stored in Secrets Manager. Leave empty to put it there yourself (aws secretsmanager put-secret-value) instead of in Terraform state."
  type        = string
  default     = ""
  sensitive   = true
}

variable "once_base_url" {
  description = "1NCE Management API base URL."
  type        = string
  default     = "https://api.1nce.com/management-api"
}

variable "streamer_username" {
  description = "Basic-auth user that 1NCE's Data Streamer sends (its password is generated into Secrets Manager)."
  type        = string
  default     = "1nce-streamer"
}

variable "log_level" {
  description = "ONCEFLEET_LOG_LEVEL: debug, info, warn or error."
  type        = string
  default     = "info"
}

variable "db_instance_class" {
  description = "RDS instance class of the PostgreSQL database."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_engine_version" {
  description = "PostgreSQL major version of the RDS instance."
  type        = string
  default     = "16"
}

variable "db_allocated_storage" {
  description = "Initial database storage, GiB (grows automatically up to db_max_allocated_storage)."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage" {
  description = "Ceiling of storage autoscaling, GiB."
  type        = number
  default     = 500
}

variable "db_multi_az" {
  description = "Run the database with a standby in a second availability zone."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated backups, which is also the point-in-time recovery window (1-35)."
  type        = number
  default     = 14
  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 1 and 35 (0 would disable point-in-time recovery)."
  }
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.small"
}

variable "redis_nodes" {
  description = "Redis nodes in the replication group (2 or more enables automatic failover)."
  type        = number
  default     = 2
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the tasks' logs."
  type        = number
  default     = 30
}

variable "alb_ingress_cidrs" {
  description = "Networks allowed to reach the load balancer; 1NCE's Data Streamer comes from the internet, so narrow this only together with a WAF or 1NCE's published addresses."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "cpu_architecture" {
  description = "CPU architecture of the tasks: ARM64 (Graviton, cheaper) or X86_64; the release images are built for both."
  type        = string
  default     = "ARM64"
  validation {
    condition     = contains(["ARM64", "X86_64"], var.cpu_architecture)
    error_message = "cpu_architecture must be ARM64 or X86_64."
  }
}
