# ECS Fargate: a serve service behind the load balancer (autoscaled on CPU) and a worker service.
# Every task first runs `oncefleet migrate up` in a short-lived container; replicas that start
# together take turns on a PostgreSQL advisory lock, so a rolling update migrates exactly once.

locals {
  port = 8080

  environment = [
    for k, v in {
      ONCEFLEET_ADDR              = "0.0.0.0:${local.port}"
      ONCEFLEET_ONCE_BASE_URL     = var.once_base_url
      ONCEFLEET_ONCE_CLIENT_ID    = var.once_client_id
      ONCEFLEET_STREAMER_USERNAME = var.streamer_username
      ONCEFLEET_LOG_LEVEL         = var.log_level
      ONCEFLEET_LOG_FORMAT        = "json"
      # The migrate container has done it.
      ONCEFLEET_MIGRATE_ON_START = "false"
    } : { name = k, value = v }
  ]

  secrets = concat([
    { name = "ONCEFLEET_DATABASE_URL", valueFrom = aws_secretsmanager_secret.database_url.arn },
    { name = "ONCEFLEET_REDIS_URL", valueFrom = aws_secretsmanager_secret.redis_url.arn },
    { name = "ONCEFLEET_STREAMER_PASSWORD", valueFrom = aws_secretsmanager_secret.streamer_password.arn },
    { name = "ONCEFLEET_JWT_KEY", valueFrom = aws_secretsmanager_secret.jwt_key.arn },
    ], var.once_client_id == "" ? [] : [
    { name = "ONCEFLEET_ONCE_CLIENT_SECRET", valueFrom = aws_secretsmanager_secret.once_client_secret.arn },
  ])

  migrate_container = {
    name        = "migrate"
    image       = var.image
    command     = ["migrate", "up"]
    essential   = false
    environment = local.environment
    secrets     = [for s in local.secrets : s if s.name == "ONCEFLEET_DATABASE_URL"]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.main.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "migrate"
      }
    }
    readonlyRootFilesystem = true
  }
}

resource "aws_ecs_cluster" "main" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "main" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# The execution role pulls the image, writes logs and reads the secrets at task start.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "read_secrets" {
  statement {
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.database_url.arn,
      aws_secretsmanager_secret.redis_url.arn,
      aws_secretsmanager_secret.once_client_secret.arn,
      aws_secretsmanager_secret.streamer_password.arn,
      aws_secretsmanager_secret.jwt_key.arn,
    ]
  }
}

resource "aws_iam_role_policy" "read_secrets" {
  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.read_secrets.json
}

# The task role: oncefleet calls no AWS API.
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

resource "aws_ecs_task_definition" "main" {
  for_each = {
    serve  = { cpu = var.serve_cpu, memory = var.serve_memory }
    worker = { cpu = var.worker_cpu, memory = var.worker_memory }
  }
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }
  container_definitions = jsonencode([
    local.migrate_container,
    {
      name         = each.key
      image        = var.image
      # The worker runs the background jobs; serve answers requests.
      command      = each.key == "serve" ? ["serve", "--no-jobs"] : ["worker"]
      essential    = true
      environment  = local.environment
      secrets      = local.secrets
      portMappings = [{ containerPort = local.port, protocol = "tcp", name = "http" }]
      dependsOn    = [{ containerName = "migrate", condition = "SUCCESS" }]
      healthCheck = {
        command     = ["CMD", "/usr/local/bin/oncefleet", "health"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 30
      }
      # Drain in-flight requests (ONCEFLEET_SHUTDOWN_TIMEOUT, 30 s) before SIGKILL.
      stopTimeout            = 45
      readonlyRootFilesystem = true
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.main.name
          awslogs-region        = var.region
          awslogs-stream-prefix = each.key
        }
      }
    },
  ])
}

resource "aws_ecs_service" "serve" {
  name                               = "${var.name}-serve"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.main["serve"].arn
  desired_count                      = var.serve_min_count
  launch_type                        = "FARGATE"
  health_check_grace_period_seconds  = 60
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.serve.arn
    container_name   = "serve"
    container_port   = local.port
  }
  # Autoscaling owns the count after creation.
  lifecycle {
    ignore_changes = [desired_count]
  }
  depends_on = [aws_lb_listener.https]
}

resource "aws_ecs_service" "worker" {
  name                               = "${var.name}-worker"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.main["worker"].arn
  desired_count                      = var.worker_count
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }
}

resource "aws_appautoscaling_target" "serve" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.serve.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.serve_min_count
  max_capacity       = var.serve_max_count
}

resource "aws_appautoscaling_policy" "serve_cpu" {
  name               = "${var.name}-serve-cpu"
  service_namespace  = aws_appautoscaling_target.serve.service_namespace
  resource_id        = aws_appautoscaling_target.serve.resource_id
  scalable_dimension = aws_appautoscaling_target.serve.scalable_dimension
  policy_type        = "TargetTrackingScaling"
  target_tracking_scaling_policy_configuration {
    target_value       = var.serve_cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
