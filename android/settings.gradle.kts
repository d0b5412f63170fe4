// The Onsite Android library. Open this folder in Android Studio, or include
// the module from an app's settings.gradle.kts:
//   include(":onsite"); project(":onsite").projectDir = file("path/to/onsite/android/onsite")
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "onsite-android"
include(":onsite")
